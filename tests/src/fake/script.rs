//! Scripted replies: a list of steps turned into event-stream frames and transport actions
//! (docs/kiro-protocol.md#fake-responses).

use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::eventstream::{self as es, Message};
use super::Trailers;

/// How a tool call's argument JSON is cut into `toolUseEvent.input` fragments. The cut is on
/// the *string value* (character boundaries of the argument text, which may fall inside the
/// argument's own escape sequences such as `\n` or `\"`); each fragment is then serialised as
/// its own JSON string, so every frame stays valid JSON/UTF-8. docs/kiro-protocol.md#fake-responses
/// also mentions cuts "inside multi-byte UTF-8 characters"; a JSON string cannot carry half a UTF-8
/// sequence (and a lone `\uD83D` surrogate is rejected by strict decoders), so cuts here stay on
/// character boundaries of the value — the byte-level split is exercised on the *network*
/// side instead ([`Step::TextSplitWrite`], [`Chunking::Random`]).
#[derive(Debug, Clone, PartialEq)]
pub enum FragmentSplit {
    /// `n` fragments of (roughly) equal character length.
    Count(usize),
    /// Cut before these character offsets.
    At(Vec<usize>),
    /// `count` fragments cut at random positions (deterministic for a seed).
    Random { count: usize, seed: u64 },
}

/// Which CRC to break in [`Step::Corrupt`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrcPart {
    Prelude,
    Message,
}

/// One step of a scripted reply.
#[derive(Debug, Clone)]
pub enum Step {
    /// `assistantResponseEvent` with this text delta.
    Text(String),
    /// A text frame written to the socket in two writes cut at byte `split_at` of the text
    /// (e.g. inside a multi-byte character). The frame itself is whole.
    TextSplitWrite { text: String, split_at: usize },
    /// A tool call: fragments of `arguments`, then a `stop: true` frame.
    ToolCall {
        name: String,
        id: String,
        arguments: String,
        split: FragmentSplit,
        /// Emit a first fragment with `"input":""` (as in vector V2).
        leading_empty: bool,
    },
    /// Native `reasoningContentEvent`.
    Reasoning {
        text: String,
        signature: Option<String>,
    },
    /// A `reasoningContentEvent` with only `redactedContent` (GPT's encrypted reasoning).
    RedactedReasoning(String),
    /// `meteringEvent` with this many credits (also charged to the account).
    Metering(f64),
    /// `contextUsageEvent`.
    ContextUsage(f64),
    /// `metadataEvent` with token usage and `stopReason`.
    Metadata {
        input_tokens: u64,
        output_tokens: u64,
        stop_reason: String,
    },
    /// Any event with a raw JSON payload.
    Event { event_type: String, payload: String },
    /// Any prepared message.
    Frame(Message),
    /// `exception` frame with `{"message": ...}`.
    Exception {
        exception_type: String,
        message: String,
    },
    /// Generic `error` frame (code and message in headers).
    ErrorFrame { code: String, message: String },
    /// Raw bytes written as they are.
    Raw(Vec<u8>),
    /// Pause between writes.
    Sleep(Duration),
    /// Stop writing: for the duration, or (`None`) until the client goes away.
    Stall(Option<Duration>),
    /// Abort the connection now (no clean end of the chunked body).
    Close,
    /// Write the first half of this step's bytes, then abort the connection.
    CloseMidFrame(Box<Step>),
    /// Encode this step with a broken CRC (one byte flipped).
    Corrupt { step: Box<Step>, part: CrcPart },
    /// Pre-stream HTTP error; only meaningful as the first step (the rest is ignored).
    HttpError {
        status: u16,
        body: String,
        headers: Vec<(String, String)>,
    },
}

/// How the response body is cut into writes.
#[derive(Debug, Clone, PartialEq)]
pub enum Chunking {
    /// One write per frame (default).
    PerFrame,
    /// Everything between control steps in one write.
    Whole,
    /// Fixed-size writes.
    Fixed(usize),
    /// Random sizes: 1-byte writes, small pieces, and pieces spanning several frames.
    Random { seed: u64 },
}

/// Transport behaviour of one reply.
#[derive(Debug, Clone, PartialEq)]
pub struct Transport {
    pub chunking: Chunking,
    /// Delay before the response headers (`None` = none). The gateway sees an accepted
    /// connection that does not answer.
    pub headers_delay: Option<Duration>,
    /// Delay before the first body byte (headers are sent immediately).
    pub first_byte_delay: Duration,
    /// Pause between consecutive writes (so they leave as separate TCP segments).
    pub write_gap: Duration,
}

impl Default for Transport {
    fn default() -> Self {
        Transport {
            chunking: Chunking::PerFrame,
            headers_delay: None,
            first_byte_delay: Duration::ZERO,
            write_gap: Duration::ZERO,
        }
    }
}

impl Transport {
    /// Random-sized writes with a 1 ms gap.
    pub fn chaos(seed: u64) -> Transport {
        Transport {
            chunking: Chunking::Random { seed },
            headers_delay: None,
            first_byte_delay: Duration::ZERO,
            write_gap: Duration::from_millis(1),
        }
    }
}

/// A scripted reply to one chat call.
#[derive(Debug, Clone, Default)]
pub struct Script {
    pub steps: Vec<Step>,
    /// `None` = the fake's `default_transport`.
    pub transport: Option<Transport>,
}

impl Script {
    pub fn new() -> Script {
        Script::default()
    }

    pub fn step(mut self, step: Step) -> Script {
        self.steps.push(step);
        self
    }

    pub fn text(self, t: &str) -> Script {
        self.step(Step::Text(t.into()))
    }

    /// Several text deltas.
    pub fn texts(mut self, parts: &[&str]) -> Script {
        for p in parts {
            self = self.text(p);
        }
        self
    }

    /// A tool call whose arguments are split into `fragments` pieces.
    pub fn tool_call(self, name: &str, id: &str, arguments: &str, fragments: usize) -> Script {
        self.step(Step::ToolCall {
            name: name.into(),
            id: id.into(),
            arguments: arguments.into(),
            split: FragmentSplit::Count(fragments),
            leading_empty: false,
        })
    }

    /// A tool call split at random character positions.
    pub fn tool_call_random(
        self,
        name: &str,
        id: &str,
        arguments: &str,
        fragments: usize,
        seed: u64,
    ) -> Script {
        self.step(Step::ToolCall {
            name: name.into(),
            id: id.into(),
            arguments: arguments.into(),
            split: FragmentSplit::Random {
                count: fragments,
                seed,
            },
            leading_empty: false,
        })
    }

    pub fn reasoning(self, t: &str) -> Script {
        self.step(Step::Reasoning {
            text: t.into(),
            signature: None,
        })
    }

    pub fn metering(self, credits: f64) -> Script {
        self.step(Step::Metering(credits))
    }

    pub fn context_usage(self, pct: f64) -> Script {
        self.step(Step::ContextUsage(pct))
    }

    pub fn metadata(self, input_tokens: u64, output_tokens: u64, stop_reason: &str) -> Script {
        self.step(Step::Metadata {
            input_tokens,
            output_tokens,
            stop_reason: stop_reason.into(),
        })
    }

    /// The standard trailer of a completed stream ([`Trailers::December`]): context usage
    /// 12.5 %, 0.0148 credits.
    pub fn trailers(self) -> Script {
        self.trailers_as(Trailers::December, 12.5, 0.0148)
    }

    /// Trailers in a chosen shape.
    pub fn trailers_as(self, t: Trailers, context_pct: f64, credits: f64) -> Script {
        match t {
            Trailers::None => self,
            Trailers::MeteringOnly => self.metering(credits),
            Trailers::ContextOnly => self.context_usage(context_pct),
            Trailers::ContextThenMetering => self.context_usage(context_pct).metering(credits),
            Trailers::MeteringThenContext => self.metering(credits).context_usage(context_pct),
            Trailers::WithMetadata => self
                .metadata((context_pct * 2000.0) as u64, 50, "END_TURN")
                .context_usage(context_pct)
                .metering(credits),
            Trailers::December => self
                .metadata(0, 0, "END_TURN")
                .context_usage(context_pct)
                .metering(credits),
        }
    }

    pub fn exception(self, exception_type: &str, message: &str) -> Script {
        self.step(Step::Exception {
            exception_type: exception_type.into(),
            message: message.into(),
        })
    }

    pub fn error_frame(self, code: &str, message: &str) -> Script {
        self.step(Step::ErrorFrame {
            code: code.into(),
            message: message.into(),
        })
    }

    pub fn raw(self, bytes: &[u8]) -> Script {
        self.step(Step::Raw(bytes.to_vec()))
    }

    pub fn sleep(self, d: Duration) -> Script {
        self.step(Step::Sleep(d))
    }

    /// Stall until the client disconnects.
    pub fn stall(self) -> Script {
        self.step(Step::Stall(None))
    }

    pub fn close(self) -> Script {
        self.step(Step::Close)
    }

    /// Write half of a text frame, then abort.
    pub fn close_mid_frame(self, text: &str) -> Script {
        self.step(Step::CloseMidFrame(Box::new(Step::Text(text.into()))))
    }

    /// A text frame with a broken CRC.
    pub fn corrupt_text(self, text: &str, part: CrcPart) -> Script {
        self.step(Step::Corrupt {
            step: Box::new(Step::Text(text.into())),
            part,
        })
    }

    pub fn with_transport(mut self, t: Transport) -> Script {
        self.transport = Some(t);
        self
    }

    /// Random-sized writes (1-byte writes, several frames per write).
    pub fn chaos(self, seed: u64) -> Script {
        self.with_transport(Transport::chaos(seed))
    }

    /// Delay before the response headers: the connection is accepted, nothing is answered.
    pub fn headers_delay(mut self, d: Duration) -> Script {
        let mut t = self.transport.clone().unwrap_or_default();
        t.headers_delay = Some(d);
        self.transport = Some(t);
        self
    }

    /// Accept the request and never send response headers (until the client goes away).
    pub fn no_headers(self) -> Script {
        self.headers_delay(Duration::from_secs(24 * 3600))
    }

    /// A text event written one byte at a time, `gap` apart: bytes keep arriving, but the
    /// event completes only after `gap` × its length.
    pub fn drip_text(mut self, text: &str, gap: Duration) -> Script {
        for byte in es::text_event(text).encode() {
            self = self.step(Step::Raw(vec![byte])).step(Step::Sleep(gap));
        }
        self
    }

    /// Delay before the first body byte.
    pub fn first_byte_delay(mut self, d: Duration) -> Script {
        let mut t = self.transport.clone().unwrap_or_default();
        t.first_byte_delay = d;
        self.transport = Some(t);
        self
    }

    // ---- ready-made scripts ----

    /// A pre-stream HTTP error with a JSON body.
    pub fn http_error(status: u16, body: &str) -> Script {
        Script::new().step(Step::HttpError {
            status,
            body: body.into(),
            headers: vec![],
        })
    }

    /// 429 request-rate throttling (a throttle that passes, not a spent allowance) with an
    /// optional `Retry-After`.
    pub fn throttled(retry_after: Option<u64>) -> Script {
        let body = r#"{"__type":"com.amazon.kiro.runtimeservice#ThrottlingException","message":"Too many requests, please wait before trying again.","reason":"USER_REQUEST_RATE_EXCEEDED"}"#;
        Script::new().step(Step::HttpError {
            status: 429,
            body: body.into(),
            headers: retry_after
                .map(|s| vec![("Retry-After".to_string(), s.to_string())])
                .unwrap_or_default(),
        })
    }

    /// A plain 500 (`InternalServerException`), worth another attempt.
    pub fn server_error() -> Script {
        Script::http_error(
            500,
            r#"{"__type":"com.amazon.aws.codewhisperer#InternalServerException","message":"Internal server error."}"#,
        )
    }

    /// 500 "high load": the model is short of capacity (docs/kiro-protocol.md#error-catalogue).
    pub fn overloaded() -> Script {
        Script::http_error(
            500,
            r#"{"message":"Encountered unexpectedly high load when processing the request, please try again.","reason":"MODEL_TEMPORARILY_UNAVAILABLE"}"#,
        )
    }

    /// The bearer-token 403.
    pub fn forbidden() -> Script {
        Script::http_error(403, super::BEARER_403)
    }

    /// `"6"` four times: legitimately repeated identical deltas
    /// (docs/kiro-protocol.md#duplicate-text).
    pub fn repeated_sixes() -> Script {
        Script::new().texts(&["6", "6", "6", "6"]).trailers()
    }

    /// "Hi 你好 😀": the frame carrying `你好` is written in two TCP writes cut inside `你`,
    /// and the frame carrying the emoji is cut inside the emoji. Frames are whole.
    pub fn split_multibyte() -> Script {
        Script::new()
            .text("Hi ")
            .step(Step::TextSplitWrite {
                text: "你好".into(),
                split_at: 1,
            })
            .text(" ")
            .step(Step::TextSplitWrite {
                text: "😀".into(),
                split_at: 2,
            })
            .trailers()
    }

    /// Text deltas each holding whole characters: "你", "好", "😀", "é".
    pub fn whole_char_deltas() -> Script {
        Script::new().texts(&["你", "好", "😀", "é"]).trailers()
    }

    /// Reply to a `<thinking_mode>` request: `<thinking>…</thinking>` with both tags split
    /// across deltas, then the answer.
    pub fn thinking(reasoning: &str, answer: &str) -> Script {
        let mut s = Script::new().texts(&["<thin", "king>"]);
        let mid = reasoning
            .char_indices()
            .nth(reasoning.chars().count() / 2)
            .map(|(i, _)| i)
            .unwrap_or(0);
        let (a, b) = reasoning.split_at(mid);
        s = s.text(a).text(&format!("{b}</thi")).text("nking>\n\n");
        s.text(answer).trailers()
    }

    /// Tags quoted inside prose (must stay text: the parser's false-positive rules,
    /// docs/kiro-protocol.md#reasoning).
    pub fn thinking_tags_in_prose() -> Script {
        Script::new()
            .texts(&[
                "Use the `<thinking>` tag; ",
                "close it with \"</thinking>\".",
            ])
            .trailers()
    }

    /// The Turn-1 response of docs/kiro-protocol.md#worked-example-response (vectors V1–V6).
    pub fn worked_example() -> Script {
        Script::new()
            .text("Hello")
            .step(Step::ToolCall {
                name: "get_weather".into(),
                id: "tooluse_7f3Yc1".into(),
                arguments: r#"{"city":"Paris"}"#.into(),
                split: FragmentSplit::Count(1),
                leading_empty: true,
            })
            .metering(0.0148)
            .context_usage(12.5)
    }

    /// Sum of metering credits in the script.
    pub fn credits(&self) -> f64 {
        self.steps
            .iter()
            .map(|s| match s {
                Step::Metering(c) => *c,
                _ => 0.0,
            })
            .sum()
    }
}

/// Cut `s` into pieces at character offsets.
pub fn split_at_chars(s: &str, cuts: &[usize]) -> Vec<String> {
    let idx: Vec<usize> = s.char_indices().map(|(i, _)| i).collect();
    let n = idx.len();
    let mut cuts: Vec<usize> = cuts.iter().copied().filter(|&c| c > 0 && c < n).collect();
    cuts.sort_unstable();
    cuts.dedup();
    let mut out = Vec::new();
    let mut start = 0;
    for c in cuts {
        out.push(s[start..idx[c]].to_string());
        start = idx[c];
    }
    out.push(s[start..].to_string());
    out
}

fn fragments(args: &str, split: &FragmentSplit) -> Vec<String> {
    let n = args.chars().count();
    match split {
        FragmentSplit::Count(k) => {
            let k = (*k).max(1);
            let cuts: Vec<usize> = (1..k).map(|i| i * n / k).collect();
            split_at_chars(args, &cuts)
        }
        FragmentSplit::At(cuts) => split_at_chars(args, cuts),
        FragmentSplit::Random { count, seed } => {
            let mut rng = StdRng::seed_from_u64(*seed);
            let cuts: Vec<usize> = (1..(*count).max(1))
                .map(|_| if n > 1 { rng.random_range(1..n) } else { 0 })
                .collect();
            split_at_chars(args, &cuts)
        }
    }
}

/// What the body writer does.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Action {
    Write(Vec<u8>),
    Sleep(Duration),
    Stall(Option<Duration>),
    Abort,
}

/// Encoded frames of a frame-producing step.
fn frames_of(step: &Step) -> Vec<Vec<u8>> {
    let m = |msg: Message| vec![msg.encode()];
    match step {
        Step::Text(t) => m(es::text_event(t)),
        Step::TextSplitWrite { text, .. } => m(es::text_event(text)),
        Step::ToolCall {
            name,
            id,
            arguments,
            split,
            leading_empty,
        } => {
            let mut out = Vec::new();
            if *leading_empty {
                out.push(es::tool_use_fragment(name, id, "").encode());
            }
            for f in fragments(arguments, split) {
                if !f.is_empty() {
                    out.push(es::tool_use_fragment(name, id, &f).encode());
                }
            }
            out.push(es::tool_use_stop(name, id).encode());
            out
        }
        Step::Reasoning { text, signature } => m(es::reasoning_event(text, signature.as_deref())),
        Step::RedactedReasoning(data) => m(es::redacted_reasoning_event(data)),
        Step::Metering(c) => m(es::metering_event(*c)),
        Step::ContextUsage(p) => m(es::context_usage_event(*p)),
        Step::Metadata {
            input_tokens,
            output_tokens,
            stop_reason,
        } => m(es::metadata_event(
            *input_tokens,
            *output_tokens,
            stop_reason,
        )),
        Step::Event {
            event_type,
            payload,
        } => m(Message::event(event_type, payload.as_bytes())),
        Step::Frame(msg) => m(msg.clone()),
        Step::Exception {
            exception_type,
            message,
        } => m(Message::exception_with_message(exception_type, message)),
        Step::ErrorFrame { code, message } => m(Message::error(code, message)),
        Step::Raw(b) => vec![b.clone()],
        Step::Corrupt { step, part } => {
            let mut fs = frames_of(step);
            if let Some(f) = fs.first_mut() {
                let i = match part {
                    CrcPart::Prelude => 8,
                    CrcPart::Message => f.len() - 1,
                };
                if i < f.len() {
                    f[i] ^= 0xff;
                }
            }
            fs
        }
        Step::CloseMidFrame(inner) => frames_of(inner),
        Step::Sleep(_) | Step::Stall(_) | Step::Close | Step::HttpError { .. } => vec![],
    }
}

fn chunk(run: Vec<Vec<u8>>, t: &Transport, rng: &mut StdRng, out: &mut Vec<Action>) {
    let mut writes: Vec<Vec<u8>> = Vec::new();
    match t.chunking {
        Chunking::PerFrame => writes = run,
        Chunking::Whole => writes.push(run.concat()),
        Chunking::Fixed(n) => {
            let all = run.concat();
            writes.extend(all.chunks(n.max(1)).map(<[u8]>::to_vec));
        }
        Chunking::Random { .. } => {
            let all = run.concat();
            let mut pos = 0;
            while pos < all.len() {
                let size = match rng.random_range(0..10) {
                    0..=2 => 1,
                    3..=6 => rng.random_range(2..40),
                    _ => rng.random_range(100..600),
                };
                let end = (pos + size).min(all.len());
                writes.push(all[pos..end].to_vec());
                pos = end;
            }
        }
    }
    for w in writes {
        if w.is_empty() {
            continue;
        }
        if !t.write_gap.is_zero() && !out.is_empty() {
            out.push(Action::Sleep(t.write_gap));
        }
        out.push(Action::Write(w));
    }
}

/// Turn the steps into transport actions.
pub(crate) fn render(steps: &[Step], t: &Transport) -> Vec<Action> {
    let seed = match t.chunking {
        Chunking::Random { seed } => seed,
        _ => 0,
    };
    let mut rng = StdRng::seed_from_u64(seed);
    let mut out = Vec::new();
    if !t.first_byte_delay.is_zero() {
        out.push(Action::Sleep(t.first_byte_delay));
    }
    let mut run: Vec<Vec<u8>> = Vec::new();
    let gap = if t.write_gap.is_zero() {
        Duration::from_millis(5)
    } else {
        t.write_gap
    };
    for step in steps {
        match step {
            Step::Sleep(d) => {
                chunk(std::mem::take(&mut run), t, &mut rng, &mut out);
                out.push(Action::Sleep(*d));
            }
            Step::Stall(d) => {
                chunk(std::mem::take(&mut run), t, &mut rng, &mut out);
                out.push(Action::Stall(*d));
            }
            Step::Close => {
                chunk(std::mem::take(&mut run), t, &mut rng, &mut out);
                out.push(Action::Abort);
                return out;
            }
            Step::CloseMidFrame(_) => {
                chunk(std::mem::take(&mut run), t, &mut rng, &mut out);
                let bytes = frames_of(step).concat();
                let half = bytes.len() / 2;
                out.push(Action::Write(bytes[..half].to_vec()));
                out.push(Action::Sleep(gap));
                out.push(Action::Abort);
                return out;
            }
            Step::TextSplitWrite { text, split_at } => {
                chunk(std::mem::take(&mut run), t, &mut rng, &mut out);
                let frame = es::text_event(text).encode();
                // serde_json does not escape non-ASCII, so the text's bytes appear verbatim
                // right after `{"content":"` in the payload.
                let needle = text.as_bytes();
                let start = frame
                    .windows(needle.len().max(1))
                    .position(|w| w == needle)
                    .unwrap_or(frame.len() / 2);
                let cut = (start + split_at).min(frame.len());
                out.push(Action::Write(frame[..cut].to_vec()));
                out.push(Action::Sleep(gap));
                out.push(Action::Write(frame[cut..].to_vec()));
                out.push(Action::Sleep(gap));
            }
            Step::HttpError { .. } => {}
            other => run.extend(frames_of(other)),
        }
    }
    chunk(run, t, &mut rng, &mut out);
    out
}
