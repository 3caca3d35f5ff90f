// Our ids are UUIDs. An id from a URL or a form is checked against this before it reaches a query:
// PostgreSQL refuses a malformed uuid with an error (a 500), where a bad id is a 404 or a 400.
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
