from django.contrib import admin

from .models import Organization


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    """Read-only here: the tree changes through jiceng's own pages, which audit and scope every write."""

    list_display = ["code", "name", "kind", "unit_kind"]
    search_fields = ["code", "name"]
    ordering = ["path"]

    def has_add_permission(self, request):  # noqa: ANN001, ANN201
        return False

    def has_change_permission(self, request, obj=None):  # noqa: ANN001, ANN201
        return False

    def has_delete_permission(self, request, obj=None):  # noqa: ANN001, ANN201
        return False
