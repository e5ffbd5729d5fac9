"""System administrators edit the category tree, the states (sub-states of a type), routes and desks
in Django's admin; organization administrators route their communities on jiceng's own page."""

from django.contrib import admin

from .models import Category, Desk, Route, State


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("__str__", "urgency", "order", "active")
    list_filter = ("active", "urgency")
    search_fields = ("name",)


@admin.register(State)
class StateAdmin(admin.ModelAdmin):
    list_display = ("name", "public_name", "type", "order", "shipped")
    list_filter = ("type",)
    readonly_fields = ("shipped",)

    def has_delete_permission(self, request, obj=None):  # noqa: ANN001, ANN201
        # A shipped state is what the services fall back on for its type: it stays.
        return super().has_delete_permission(request, obj) and not (obj and obj.shipped)


@admin.register(Route)
class RouteAdmin(admin.ModelAdmin):
    list_display = ("org", "category", "handler_org", "handler_partner")
    raw_id_fields = ("org", "handler_org", "handler_partner")


@admin.register(Desk)
class DeskAdmin(admin.ModelAdmin):
    list_display = ("org", "open")
    raw_id_fields = ("org",)
