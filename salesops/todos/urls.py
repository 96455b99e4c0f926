from django.urls import path

from . import views

app_name = "todos"
urlpatterns = [
    path("", views.task_list, name="task_list"),
    path("new/", views.task_create, name="task_create"),
    path("export.<str:fmt>", views.task_export, name="task_export"),
    path("<int:pk>/", views.task_detail, name="task_detail"),
    path("<int:pk>/complete/", views.task_complete, name="task_complete"),
    path("<int:pk>/reopen/", views.task_reopen, name="task_reopen"),
]
