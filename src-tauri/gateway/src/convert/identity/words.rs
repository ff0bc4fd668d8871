//! The words the filter looks for: self-introductions and the Kiro IDE's tool names.

/// First words of a self-introduction.
pub const SPEAKERS: &[&str] = &["I'm", "I\u{2019}m", "I am"];

/// Who the speaker claims to be: the IDE's name, or the IDE's self-description without it.
pub const SUBJECTS: &[&str] = &[" Kiro", " an AI assistant and IDE"];

/// Descriptions the model appends to " Kiro" (the IDE prompt's own and its paraphrases).
pub const DESCRIPTIONS: &[&str] = &[
    ", an AI assistant and IDE",
    ", an AI assistant",
    ", an AI-powered development environment",
    ", an AI-powered IDE",
    ", an agentic IDE",
    ", your AI assistant",
    ", your AI coding assistant",
    ", an AI coding assistant",
];

/// Makers named after a self-introduction (also after a comma: ", made by AWS").
pub const MAKERS: &[&str] = &[
    " made by AWS",
    " built by AWS",
    " developed by AWS",
    " created by AWS",
    " from AWS",
    " by AWS",
    " made by Amazon",
    " built by Amazon",
    " developed by Amazon",
    " created by Amazon",
    " from Amazon",
    " by Amazon",
    " made by Amazon Web Services",
    " built by Amazon Web Services",
    " developed by Amazon Web Services",
    " created by Amazon Web Services",
    " from Amazon Web Services",
    " by Amazon Web Services",
];

/// What a self-introduction says instead, after its speaker ("I'm" + this).
pub const REPLACEMENT: &str = " an AI assistant";

/// The Kiro IDE's tools. `true`: the name is distinctive (not an ordinary identifier), so a
/// list item headed by it is removed on sight; `false`: removed only once the answer already
/// introduced the IDE.
pub const IDE_TOOLS: &[(&str, bool)] = &[
    ("fsWrite", true),
    ("fsAppend", true),
    ("strReplace", true),
    ("executeBash", true),
    ("executePwsh", true),
    ("readMultipleFiles", true),
    ("grepSearch", true),
    ("fileSearch", true),
    ("getDiagnostics", true),
    ("smartRelocate", true),
    ("readFile", false),
    ("readCode", false),
    ("listDirectory", false),
    ("deleteFile", false),
    ("searchFiles", false),
    ("executeCommand", false),
    ("webSearch", false),
    ("fetchWebpage", false),
    ("getDefinition", false),
    ("getReferences", false),
    ("getTypeDefinition", false),
    ("userInput", false),
];
