from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm

from museum_site.core.models import Hall, Tag


class SignUpForm(UserCreationForm):
    """A visitor account: username, e-mail (for password resets), display name, password."""

    email = forms.EmailField(
        help_text="Used only to reset your password.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    display_name = forms.CharField(
        max_length=80,
        required=False,
        help_text="How we greet you on the site. Optional.",
        widget=forms.TextInput(attrs={"autocomplete": "nickname"}),
    )

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "email", "display_name")

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        if get_user_model().objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("An account with this e-mail address already exists.")
        return email


class ExhibitFilterForm(forms.Form):
    """The search box and filters above the exhibit list (submitted with GET)."""

    q = forms.CharField(
        label="Search",
        max_length=100,
        required=False,
        widget=forms.SearchInput(attrs={"placeholder": "Title, artist, tag…"}),
    )
    hall = forms.ModelChoiceField(
        queryset=Hall.objects.order_by("ordering", "name"),
        to_field_name="slug",
        required=False,
        empty_label="All halls",
    )
    tag = forms.ModelChoiceField(
        queryset=Tag.objects.filter(exhibits__active=True).distinct().order_by("name"),
        to_field_name="slug",
        required=False,
        empty_label="All tags",
    )
