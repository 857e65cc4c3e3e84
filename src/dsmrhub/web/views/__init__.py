"""One module per page; each has its view functions and its ``urlpatterns``."""
