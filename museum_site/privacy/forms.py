from django import forms


class ConsentForm(forms.Form):
    """Give or withdraw consent; which one is chosen by the submit button pressed.

    Giving consent needs the ``agree`` box ticked: an explicit opt-in, never pre-ticked.
    ``notice_sha256`` carries the hash of the notice shown, so that a notice changed while
    the visitor was reading is not agreed to unseen.
    """

    GIVE = "give"
    WITHDRAW = "withdraw"

    action = forms.ChoiceField(choices=[(GIVE, "Give consent"), (WITHDRAW, "Withdraw consent")])
    agree = forms.BooleanField(
        required=False,
        label="I have read the notice and agree to emotion recognition as it describes.",
    )
    keep_media = forms.BooleanField(
        required=False,
        label="Also keep my clips after analysis (optional; otherwise they are deleted at once)",
    )
    # Compared by the service: any other value reads as "the notice changed".
    notice_sha256 = forms.CharField(max_length=64, required=False, widget=forms.HiddenInput)

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("action") == self.GIVE and not cleaned.get("agree"):
            self.add_error("agree", "Tick the box to agree. Nothing changes until you do.")
        return cleaned


class EraseAccountForm(forms.Form):
    """Erasing an account asks for the password again and an explicit acknowledgement."""

    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    confirm = forms.BooleanField(
        label="I understand that my account and data are erased for good and cannot be restored.",
    )
