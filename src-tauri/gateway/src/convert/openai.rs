//! OpenAI Chat Completions ⇄ neutral conversation / Kiro events.
