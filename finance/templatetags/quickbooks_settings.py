"""``{% quickbooks_settings_section %}``: the QuickBooks section of the company settings page, which
the finance app owns (its form, the redirect URI to register); the settings page only places it."""

from django import template

from finance.qb_views import settings_section_context

register = template.Library()


@register.inclusion_tag("finance/_qb_settings_section.html", takes_context=True)
def quickbooks_settings_section(context, form=None):
    request = context["request"]
    return {**settings_section_context(request.membership.company, form), "request": request}
