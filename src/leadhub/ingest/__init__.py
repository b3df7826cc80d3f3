"""The form-post lead insert: face, durable queue, worker, de-duplication, callbacks."""
