// Loaded before Decap CMS: editor.js registers the portal's file formats and widgets, then
// starts Decap itself.
window.CMS_MANUAL_INIT = true;
