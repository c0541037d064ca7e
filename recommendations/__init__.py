"""Exhibit recommendations for visitors, built on their visits and emotions (to come)."""
