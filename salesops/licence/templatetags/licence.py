from django import template

from ..models import LicencePolicy

register = template.Library()


@register.simple_tag
def licence_keep_default() -> bool:
    """Whether "keep the photo" starts ticked (Settings · Business licence)."""
    return LicencePolicy.current().keep_photo_default
