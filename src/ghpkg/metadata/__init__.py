"""docker/metadata-action's tags and labels: from the git ref, by rules, as labels, as outputs."""
