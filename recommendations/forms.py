from django import forms

RATING_CHOICES = [(n, f"{n} out of 5") for n in range(1, 6)]


class FeedbackForm(forms.Form):
    """One feedback action on one exhibit, posted from "My visits" or the recommendations."""

    RATE = "rate"
    CLEAR = "clear"
    HIDE = "hide"
    UNHIDE = "unhide"

    action = forms.ChoiceField(
        choices=[
            (RATE, "Rate"),
            (CLEAR, "Clear rating"),
            (HIDE, "Not for me"),
            (UNHIDE, "Show again"),
        ]
    )
    rating = forms.TypedChoiceField(
        choices=RATING_CHOICES, coerce=int, required=False, empty_value=None
    )

    def clean(self) -> dict:
        data = super().clean()
        if data.get("action") == self.RATE and data.get("rating") is None:
            self.add_error("rating", "Choose a rating from 1 to 5.")
        return data
