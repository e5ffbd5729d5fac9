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
