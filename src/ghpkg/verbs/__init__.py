"""The verbs: each a short function from its own request, the shared Remote and a Log to a
Result."""
