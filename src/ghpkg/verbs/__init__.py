"""The verbs: each a short function from a Settings value and a Log to a Result."""
