"""Generic scoped pages and API viewsets, for every app to build on instead of pasting.

Modelled on NetBox's ``netbox/views/generic`` (ObjectView, ObjectListView, ObjectEditView,
ObjectDeleteView, ObjectChangeLogView): a page names the app's selector lookup, the scope action it
needs and its template; the base class does the rest the same way everywhere:

- sign-in required; the object comes from the app's selector, so one outside the user's scope answers
  404; a visible object the user may not act on answers 403 (the GET of a form included);
- writes go through the app's services; a service's ``ValidationError`` is shown on the form;
- htmx requests get the page's fragment (django-template-partials), with ``Vary: HX-Request``.

``views`` holds the pages, ``api`` the DRF viewset base. The test helpers that check every registered
page and endpoint for scope live in ``jiceng.core.testing``.
"""
