// Placeholder: replaced by the services global setup (issue 3).
export default async function setup(): Promise<void> {}
