# Recommendation models (if any) arrive with the recommendations feature.
