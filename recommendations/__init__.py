"""Exhibit recommendations for visitors, built on their visits, emotions and feedback."""
