"""Django's admin belongs to system administrators: users, role grants and the audit trail."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import ObjectChange, RoleAssignment, User


class RoleInline(admin.TabularInline):
    model = RoleAssignment
    fk_name = "user"
    extra = 0
    autocomplete_fields = ["org"]
    readonly_fields = ["granted_at", "granted_by"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [RoleInline]
    list_display = ["username", "full_name", "is_active", "is_superuser", "last_login"]
    fieldsets = (*BaseUserAdmin.fieldsets, ("jiceng", {"fields": ["full_name"]}))

    def has_module_permission(self, request):  # noqa: ANN001, ANN201
        return request.user.is_superuser


@admin.register(ObjectChange)
class ObjectChangeAdmin(admin.ModelAdmin):
    list_display = ["time", "user_name", "action", "object_repr", "source", "request_id"]
    list_filter = ["action", "source"]
    search_fields = ["user_name", "object_repr", "request_id"]
    date_hierarchy = "time"

    def has_add_permission(self, request):  # noqa: ANN001, ANN201
        return False

    def has_change_permission(self, request, obj=None):  # noqa: ANN001, ANN201
        return False

    def has_delete_permission(self, request, obj=None):  # noqa: ANN001, ANN201
        return False


# Rule sets (compliance engine): each change of a parameter version is audited -----------------------

from django import forms  # noqa: E402
from django.utils.html import format_html  # noqa: E402
from django.utils.translation import gettext_lazy as _  # noqa: E402

from . import audit  # noqa: E402
from .models import RuleVersion  # noqa: E402
from .rulebook import BY_CODE, SPECS  # noqa: E402


def _rule_choices() -> list[tuple[str, str]]:
    # A callable: the apps register their rules in ready(), after the admin has imported this module.
    return [(s.code, f"{s.code} · {s.title}") for s in SPECS]


class RuleVersionForm(forms.ModelForm):
    code = forms.ChoiceField(label=_("规则"), choices=_rule_choices)

    class Meta:
        model = RuleVersion
        fields = ["code", "effective_from", "enabled", "params", "citation", "note"]


@admin.register(RuleVersion)
class RuleVersionAdmin(admin.ModelAdmin):
    """New parameter values with their effective date and citation; evaluations use the one in force."""

    form = RuleVersionForm
    list_display = ["code", "effective_from", "enabled", "params", "citation", "created_by", "created_at"]
    list_filter = ["code", "enabled"]
    search_fields = ["code", "citation", "note"]
    readonly_fields = ["shipped_defaults", "created_by", "created_at"]
    fields = [
        "code",
        "shipped_defaults",
        "effective_from",
        "enabled",
        "params",
        "citation",
        "note",
        "created_by",
        "created_at",
    ]

    @admin.display(description=_("默认参数与依据"))
    def shipped_defaults(self, obj: RuleVersion | None) -> str:
        spec = BY_CODE.get(obj.code) if obj is not None and obj.code else None
        if spec is None:
            return "; ".join(f"{s.code}: {s.defaults or '—'}" for s in SPECS)
        return format_html("{} — {}", spec.defaults or "—", spec.citation)

    def save_model(self, request, obj: RuleVersion, form, change: bool) -> None:  # noqa: ANN001
        if change:
            before = audit.snapshot(RuleVersion.objects.get(pk=obj.pk))
            obj.save()
            audit.updated(actor=request.user, obj=obj, before=before)
        else:
            obj.created_by = request.user
            obj.save()
            audit.created(actor=request.user, obj=obj)

    def delete_model(self, request, obj: RuleVersion) -> None:  # noqa: ANN001
        audit.deleted(actor=request.user, obj=obj)
        obj.delete()

    def delete_queryset(self, request, queryset) -> None:  # noqa: ANN001
        for obj in queryset:
            self.delete_model(request, obj)
