package runtime

// Trigger lets signed webhooks start a flow: when the program runs with
// --webhook-addr, a POST to /webhook/FLOW (or /webhook, for every flow with
// a trigger) whose signature verifies starts the flow as soon as no run of
// it is in progress.
type Trigger struct {
	// Webhook is the signature scheme: "github" (X-Hub-Signature-256),
	// "jira" and "confluence" (X-Hub-Signature) or "generic" (X-Signature),
	// each "sha256=" and the hex HMAC-SHA256 of the body.
	Webhook string
	// Secret names the declared secret environment variable that holds the
	// webhook's shared secret.
	Secret string
}
