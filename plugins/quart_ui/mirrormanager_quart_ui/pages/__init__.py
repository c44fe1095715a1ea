"""The built-in pages, one blueprint per module (registered through ``mm_ui_routes`` by
:mod:`mirrormanager_quart_ui.builtin`)."""
