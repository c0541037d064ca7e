"""The core domain: halls, exhibits, visitor profiles and visits."""
