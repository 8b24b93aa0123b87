from django.urls import path

from guanjia.billing import views

app_name = "billing"
urlpatterns = [
    path("estates/<int:estate_id>/billing/", views.home, name="home"),
    path("estates/<int:estate_id>/billing/fees/", views.fees, name="fees"),
    path("billing/fees/<int:fee_item_id>/", views.fee_item, name="fee_item"),
    path("estates/<int:estate_id>/billing/readings/", views.readings, name="readings"),
    path("estates/<int:estate_id>/billing/runs/", views.run, name="run"),
    path("estates/<int:estate_id>/billing/runs/<int:job_id>/", views.run_job, name="run_job"),
    path("estates/<int:estate_id>/billing/runs/<int:job_id>/progress/", views.run_progress, name="run_progress"),
    path("estates/<int:estate_id>/billing/arrears/", views.arrears, name="arrears"),
    path("estates/<int:estate_id>/billing/arrears/remind/", views.send_reminders, name="send_reminders"),
    path("estates/<int:estate_id>/billing/collection/", views.collection, name="collection"),
    path("estates/<int:estate_id>/billing/reversals/", views.reversals, name="reversals"),
    path("estates/<int:estate_id>/billing/export/receivables/", views.export_receivables, name="export_receivables"),
    path("estates/<int:estate_id>/billing/export/journal/", views.export_journal, name="export_journal"),
    path("estates/<int:estate_id>/billing/export/arrears/", views.export_arrears, name="export_arrears"),
    path("billing/units/<int:unit_id>/", views.unit_bills, name="unit"),
    path("billing/units/<int:unit_id>/collection-log/", views.log_collection, name="log_collection"),
    path("billing/units/<int:unit_id>/pay/", views.cashier, name="cashier"),
    path("billing/units/<int:unit_id>/pay-online/", views.pay_online, name="pay_online"),
    path("billing/bills/<int:bill_id>/reverse/", views.request_bill_reversal, name="request_bill_reversal"),
    path("billing/payments/<int:payment_id>/", views.payment_detail, name="payment"),
    path("billing/payments/<int:payment_id>/receipt/", views.receipt, name="receipt"),
    path("billing/payments/<int:payment_id>/reverse/", views.request_reversal, name="request_reversal"),
    path("billing/reversal-requests/<int:request_id>/approve/", views.approve_reversal, name="approve_reversal"),
    path("billing/reversal-requests/<int:request_id>/reject/", views.reject_reversal, name="reject_reversal"),
    path("billing/mine/", views.portal, name="portal"),
    path("billing/sandbox/<str:order_number>/", views.sandbox_pay, name="sandbox_pay"),
]
