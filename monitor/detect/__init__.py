"""Detection: text normalisation, rule matching, classifier, and the decision policy."""
