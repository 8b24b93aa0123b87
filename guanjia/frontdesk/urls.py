from django.urls import path

from guanjia.frontdesk import views

app_name = "frontdesk"
desk = "estates/<int:estate_id>/desk/"
urlpatterns = [
    path("units/<int:unit_id>/desk/", views.unit_desk, name="unit_desk"),
    path(desk, views.desk_search, name="search"),
    path(desk + "today/", views.today, name="today"),
    path(desk + "parcels/", views.parcels, name="parcels"),
    path(desk + "parcels/receive/", views.parcel_receive, name="parcel_receive"),
    path(desk + "parcels/scan/", views.parcel_scan, name="parcel_scan"),
    path(desk + "items/receive/", views.item_receive, name="item_receive"),
    path("desk/parcels/<int:parcel_id>/hand-over/", views.parcel_hand_over, name="parcel_hand_over"),
    path("desk/parcels/<int:parcel_id>/photos/", views.parcel_add_photo, name="parcel_add_photo"),
    path("custody-photos/<int:photo_id>/", views.custody_photo, name="custody_photo"),
    path(desk + "keys/", views.keys, name="keys"),
    path(desk + "keys/register/", views.key_register, name="key_register"),
    path("desk/keys/<int:key_id>/", views.key_detail, name="key"),
    path("desk/keys/<int:key_id>/authorize/", views.key_authorize, name="key_authorize"),
    path("desk/keys/<int:key_id>/lend/", views.key_lend, name="key_lend"),
    path("desk/keys/<int:key_id>/return/", views.key_return, name="key_return"),
    path("desk/keys/<int:key_id>/mark/", views.key_mark, name="key_mark"),
    path("desk/keys/<int:key_id>/photos/", views.key_add_photo, name="key_add_photo"),
    path(
        "desk/authorizations/<int:authorization_id>/revoke/",
        views.authorization_revoke,
        name="authorization_revoke",
    ),
    path(desk + "visitors/", views.visitors, name="visitors"),
    path(desk + "visitors/check-in/", views.visitor_check_in, name="visitor_check_in"),
    path(desk + "visitors/admit/", views.visitor_admit, name="visitor_admit"),
    path(desk + "visitors/export/", views.visitor_export, name="visitor_export"),
    path("desk/visits/<int:visit_id>/check-out/", views.visitor_check_out, name="visitor_check_out"),
    path(desk + "handovers/", views.handovers, name="handovers"),
    path(desk + "handovers/write/", views.handover_write, name="handover_write"),
    path("desk/handovers/<int:handover_id>/acknowledge/", views.handover_acknowledge, name="handover_acknowledge"),
    path(desk + "events/", views.events, name="events"),
    # The owner portal
    path("my/parcels/", views.my_parcels, name="my_parcels"),
    path("my/keys/", views.my_keys, name="my_keys"),
    path("my/keys/<int:key_id>/authorizations/", views.my_authorization_add, name="my_authorization_add"),
    path("my/authorizations/<int:authorization_id>/", views.my_authorization_edit, name="my_authorization_edit"),
    path(
        "my/authorizations/<int:authorization_id>/revoke/",
        views.my_authorization_revoke,
        name="my_authorization_revoke",
    ),
    path("my/visitors/", views.my_passes, name="my_passes"),
    path("my/visitors/issue/", views.my_pass_issue, name="my_pass_issue"),
    path("my/visitors/<int:pass_id>/", views.my_pass, name="my_pass"),
    path("my/visitors/<int:pass_id>/revoke/", views.my_pass_revoke, name="my_pass_revoke"),
    path("my/do-not-admit/", views.my_instructions, name="my_instructions"),
    path("my/do-not-admit/add/", views.my_instruction_add, name="my_instruction_add"),
    path("my/do-not-admit/<int:instruction_id>/lift/", views.my_instruction_lift, name="my_instruction_lift"),
]
