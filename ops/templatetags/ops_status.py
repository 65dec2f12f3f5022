"""``{% scheduler_warning %}``: the one-sentence warning admins see when scheduled syncs stopped."""

from django import template

from ops.heartbeat import scheduler_state

register = template.Library()


@register.inclusion_tag("ops/_scheduler_warning_text.html", takes_context=True)
def scheduler_warning(context):
    request = context.get("request")
    membership = getattr(request, "membership", None)
    if not membership or not membership.is_admin:
        return {"warning": ""}
    return {"warning": scheduler_state().warning()}
