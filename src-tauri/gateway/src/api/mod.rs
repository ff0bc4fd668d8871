//! HTTP routes: OpenAI, Anthropic, health, admin; auth middleware.
