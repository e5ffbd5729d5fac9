from django.contrib import admin

from .models import PartnerUnit


@admin.register(PartnerUnit)
class PartnerUnitAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "org", "active")
    list_filter = ("kind", "active")
    search_fields = ("name",)
    filter_horizontal = ("contacts",)
    raw_id_fields = ("org",)
