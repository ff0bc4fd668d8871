//! Binding, serving, graceful drain; the controller that owns the running gateway.
