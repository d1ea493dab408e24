//! The request-trace readers against the real traces in `datasets/traces/`, the fixtures in
//! `tests/data/` and hand-made bad input.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use mei4llm::system::error::Result;
use mei4llm::system::trace::{
    Epoch, EpochRule, Epochs, Request, TraceFormat, TraceReader, read_trace,
};

fn dataset(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("datasets/traces")
        .join(name)
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn from_text(name: &str, text: impl Into<String>) -> Result<TraceReader> {
    TraceReader::from_reader(name, Cursor::new(text.into().into_bytes()))
}

/// The first error reading `text`, at opening or from a row, as displayed.
fn first_error(name: &str, text: impl Into<String>) -> String {
    let text = text.into();
    match from_text(name, text.as_str()) {
        Err(error) => error.to_string(),
        Ok(mut reader) => match reader.find_map(Result::err) {
            Some(error) => error.to_string(),
            None => panic!("{name}: no error in {text:?}"),
        },
    }
}

/// Asserts that a row error names the file, the line and the field.
fn assert_field_error(message: &str, file_and_line: &str, field: &str) {
    let prefix = format!("{file_and_line}: field `{field}`: ");
    assert!(
        message.starts_with(&prefix),
        "expected `{prefix}…`, got `{message}`"
    );
}

fn median_prompt_tokens(requests: &[Request]) -> f64 {
    let mut tokens: Vec<u32> = requests.iter().map(|r| r.prompt_tokens).collect();
    tokens.sort_unstable();
    let n = tokens.len();
    (f64::from(tokens[(n - 1) / 2]) + f64::from(tokens[n / 2])) / 2.0
}

fn assert_close(actual: f64, expected: f64) {
    assert!(
        (actual - expected).abs() < 1e-9,
        "{actual} is not {expected}"
    );
}

// --- Real traces ---------------------------------------------------------------------------

#[test]
fn azure_code_trace() {
    let path = dataset("azure_llm_2023_code.csv");
    assert_eq!(
        TraceReader::open(&path).unwrap().format(),
        TraceFormat::Azure
    );
    let requests = read_trace(&path).unwrap();
    assert_eq!(requests.len(), 8_819);
    assert!(requests.iter().enumerate().all(|(i, r)| r.id == i as u64));
    // 2023-11-16 18:17:03.9799600,4808,10 then 18:17:04.0319600,3180,8.
    let first = &requests[0];
    assert_eq!(
        (first.arrival_s, first.prompt_tokens, first.output_tokens),
        (0.0, 4808, 10)
    );
    assert_close(requests[1].arrival_s, 0.052);
    // Last row 19:14:19.9280160: 57 min 15.948056 s after the first.
    let last = &requests[8_818];
    assert_close(last.arrival_s, 3_435.948_056);
    assert_eq!((last.prompt_tokens, last.output_tokens), (549, 173));
    assert!(requests.iter().all(|r| r.prefix_blocks.is_empty()));
    // Median prompt of 1469 tokens (Python: statistics.median over ContextTokens).
    assert!((median_prompt_tokens(&requests) - 1_469.0).abs() <= 1.0);
}

#[test]
fn azure_conversation_trace() {
    let requests = read_trace(&dataset("azure_llm_2023_conv.csv")).unwrap();
    assert_eq!(requests.len(), 19_366);
    // 18:15:46.6805900,374,44 then 18:15:50.9951690,396,109: 4.314579 s apart.
    assert_eq!(requests[0].arrival_s, 0.0);
    assert_eq!(
        (requests[0].prompt_tokens, requests[0].output_tokens),
        (374, 44)
    );
    assert_close(requests[1].arrival_s, 4.314_579);
    assert_eq!(
        (requests[1].prompt_tokens, requests[1].output_tokens),
        (396, 109)
    );
    // Last row 19:14:08.4025270,197,183: 58 min 21.721937 s after the first.
    let last = &requests[19_365];
    assert_close(last.arrival_s, 3_501.721_937);
    assert_eq!((last.prompt_tokens, last.output_tokens), (197, 183));
    // Median prompt of 1020 tokens (Python: statistics.median over ContextTokens).
    assert!((median_prompt_tokens(&requests) - 1_020.0).abs() <= 1.0);
}

#[test]
fn mooncake_conversation_trace() {
    let path = dataset("mooncake_conversation_trace.jsonl");
    let mut reader = TraceReader::open(&path).unwrap();
    assert_eq!(reader.format(), TraceFormat::Mooncake);
    let requests: Vec<Request> = reader.by_ref().collect::<Result<_>>().unwrap();
    assert_eq!((reader.dropped_rows(), reader.skipped_rows()), (0, 0));
    assert_eq!(requests.len(), 12_031);
    let first = &requests[0];
    assert_eq!(
        (first.arrival_s, first.prompt_tokens, first.output_tokens),
        (0.0, 6758, 500)
    );
    assert_eq!(first.prefix_blocks, (0..=13).collect::<Vec<u64>>());
    let mut second_blocks = vec![0];
    second_blocks.extend(14..=27);
    assert_eq!(requests[1].prefix_blocks, second_blocks);
    // Last line: "timestamp": 3536999 (ms), input 20774, output 508.
    let last = &requests[12_030];
    assert_close(last.arrival_s, 3_536.999);
    assert_eq!((last.prompt_tokens, last.output_tokens), (20_774, 508));
    // Every prompt is covered by ceil(input_length / 512) prefix blocks.
    assert!(
        requests
            .iter()
            .all(|r| r.prefix_blocks.len() as u32 == r.prompt_tokens.div_ceil(512))
    );
}

#[test]
fn vidur_sample_is_the_head_of_the_azure_conversation_trace() {
    let mut reader = TraceReader::open(fixture("vidur_sample.csv")).unwrap();
    assert_eq!(reader.format(), TraceFormat::Vidur);
    let vidur: Vec<Request> = reader.by_ref().collect::<Result<_>>().unwrap();
    assert_eq!(vidur.len(), 20);
    let azure: Vec<Request> = TraceReader::open(dataset("azure_llm_2023_conv.csv"))
        .unwrap()
        .take(20)
        .collect::<Result<_>>()
        .unwrap();
    for (v, a) in vidur.iter().zip(&azure) {
        assert_eq!(
            (v.id, v.prompt_tokens, v.output_tokens),
            (a.id, a.prompt_tokens, a.output_tokens)
        );
        assert_close(v.arrival_s, a.arrival_s);
    }
    // `5.8926549999999995` is read to the nanosecond.
    assert_eq!(vidur[4].arrival_s, 5.892_655);
}

#[test]
fn burstgpt_sample_drops_rows_without_tokens() {
    let mut reader = TraceReader::open(fixture("burstgpt_sample.csv")).unwrap();
    assert_eq!(reader.format(), TraceFormat::BurstGpt);
    let requests: Vec<Request> = reader.by_ref().collect::<Result<_>>().unwrap();
    assert_eq!((reader.dropped_rows(), reader.skipped_rows()), (1, 0));
    let rows: Vec<(u64, f64, u32, u32)> = requests
        .iter()
        .map(|r| (r.id, r.arrival_s, r.prompt_tokens, r.output_tokens))
        .collect();
    assert_eq!(
        rows,
        [
            (0, 0.0, 472, 18),
            (1, 40.0, 1087, 230),
            (2, 113.0, 417, 276),
            (3, 115.5, 300, 0),
            (4, 125.0, 25, 61),
        ]
    );
}

#[test]
fn columns_are_found_by_name() {
    // BurstGPT_3 inserts two columns; Vidur traces carry extra columns; CRLF and blank lines.
    let text = "Timestamp,Session ID,Elapsed time,Model,Request tokens,Response tokens,Total tokens,Log Type\r\n\
                5,a1,2.5,ChatGPT,472,18,490,Conversation log\r\n\
                \r\n\
                7,,1.0,GPT-4,10,0,10,API log\r\n";
    let requests: Vec<Request> = from_text("b3.csv", text)
        .unwrap()
        .collect::<Result<_>>()
        .unwrap();
    assert_eq!(requests.len(), 2);
    assert_eq!(
        (requests[1].arrival_s, requests[1].prompt_tokens),
        (2.0, 10)
    );
    let text = "request_id,arrived_at,num_prefill_tokens,num_decode_tokens\n0,1.5,20,3\n";
    let request = from_text("trace.csv", text)
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            request.arrival_s,
            request.prompt_tokens,
            request.output_tokens
        ),
        (0.0, 20, 3)
    );
    // A file with only a header holds no request.
    assert_eq!(
        from_text("h.csv", "arrived_at,num_prefill_tokens,num_decode_tokens\n")
            .unwrap()
            .count(),
        0
    );
}

// --- Bad input --------------------------------------------------------------------------------

const AZURE_HEADER: &str = "TIMESTAMP,ContextTokens,GeneratedTokens\n";

#[test]
fn crlf_and_blank_lines_count_like_lf_lines_in_errors() {
    let rows = "2023-11-16 18:15:46.68,374,44\n\n  \n2023-11-16 18:15:50.99,396,2\n2023-11-16 18:15:52.00,x,3\n";
    for ending in ["\n", "\r\n"] {
        let text = format!("{AZURE_HEADER}{rows}").replace('\n', ending);
        let err = from_text("bad.csv", &text)
            .unwrap()
            .collect::<Result<Vec<Request>>>()
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("bad.csv:6:"), "{ending:?}: {err}");
        assert!(err.contains("ContextTokens"), "{ending:?}: {err}");
    }
}

#[test]
fn bad_csv_rows_name_file_line_and_field() {
    let cases: [(&str, &str, &str); 11] = [
        // A missing column is named.
        (
            "2023-11-16 18:15:46.68,374,44\n2023-11-16 18:15:50.99,396\n",
            "bad.csv:3",
            "GeneratedTokens",
        ),
        ("2023-11-16 18:15:46.68\n", "bad.csv:2", "ContextTokens"),
        ("2023-11-16 18:15:46.68,,44\n", "bad.csv:2", "ContextTokens"),
        (
            "2023-11-16 18:15:46.68,-5,44\n",
            "bad.csv:2",
            "ContextTokens",
        ),
        (
            "2023-11-16 18:15:46.68,0,44\n",
            "bad.csv:2",
            "ContextTokens",
        ),
        (
            "2023-11-16 18:15:46.68,374,NaN\n",
            "bad.csv:2",
            "GeneratedTokens",
        ),
        (
            "2023-11-16 18:15:46.68,374,-1\n",
            "bad.csv:2",
            "GeneratedTokens",
        ),
        (
            "2023-11-16 18:15:46.68,lots,44\n",
            "bad.csv:2",
            "ContextTokens",
        ),
        (
            "2023-11-16 18:15:46.68,37.5,44\n",
            "bad.csv:2",
            "ContextTokens",
        ),
        ("yesterday,374,44\n", "bad.csv:2", "TIMESTAMP"),
        // Out of order: line 4 is earlier than line 3 (line 2 is blank).
        (
            "\n2023-11-16 18:15:50.99,396,109\n2023-11-16 18:15:46.68,374,44\n",
            "bad.csv:4",
            "TIMESTAMP",
        ),
    ];
    for (rows, file_and_line, field) in cases {
        let text = format!("{AZURE_HEADER}{rows}");
        assert_field_error(&first_error("bad.csv", text), file_and_line, field);
    }
    let message = first_error(
        "bad.csv",
        "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.68,374,44\n2023-11-16 18:15:46.60,374,44\n",
    );
    assert!(
        message.contains("earlier than the row at line 2"),
        "{message}"
    );
    let message = first_error(
        "bad.csv",
        "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.68,374,44,9\n",
    );
    assert!(
        message.starts_with("bad.csv:2: the row has 4 columns"),
        "{message}"
    );

    let burst = "Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type\n";
    let text = format!("{burst}NaN,ChatGPT,1,2,3,API log\n");
    let message = first_error("burst.csv", text);
    assert_field_error(&message, "burst.csv:2", "Timestamp");
    assert!(message.contains("finite"), "{message}");
    let text = format!("{burst}inf,ChatGPT,1,2,3,API log\n");
    assert_field_error(&first_error("burst.csv", text), "burst.csv:2", "Timestamp");
    let text = format!("{burst}1,ChatGPT,0,7,7,API log\n");
    assert_field_error(
        &first_error("burst.csv", text),
        "burst.csv:2",
        "Request tokens",
    );
    let text = format!("{burst}1,ChatGPT,5,-7,-2,API log\n");
    assert_field_error(
        &first_error("burst.csv", text),
        "burst.csv:2",
        "Response tokens",
    );
    let vidur = "arrived_at,num_prefill_tokens,num_decode_tokens\n2.0,5,5\n1.0,5,5\n";
    assert_field_error(
        &first_error("trace.csv", vidur),
        "trace.csv:3",
        "arrived_at",
    );
}

#[test]
fn bad_json_lines_name_file_line_and_field() {
    let ok = r#"{"timestamp": 1000, "input_length": 10, "output_length": 5, "hash_ids": [0]}"#;
    let cases: [(&str, &str, &str); 6] = [
        (
            r#"{"timestamp": 2000, "output_length": 5}"#,
            "bad.jsonl:2",
            "input_length",
        ),
        (
            r#"{"timestamp": 2000, "input_length": 0, "output_length": 5}"#,
            "bad.jsonl:2",
            "input_length",
        ),
        (
            r#"{"timestamp": 2000, "input_length": -4, "output_length": 5}"#,
            "bad.jsonl:2",
            "input_length",
        ),
        (
            r#"{"timestamp": 2000, "input_length": "ten", "output_length": 5}"#,
            "bad.jsonl:2",
            "input_length",
        ),
        (
            r#"{"timestamp": 2000, "input_length": 10, "output_length": 2.5}"#,
            "bad.jsonl:2",
            "output_length",
        ),
        (
            r#"{"timestamp": 999, "input_length": 10, "output_length": 5}"#,
            "bad.jsonl:2",
            "timestamp",
        ),
    ];
    for (line, file_and_line, field) in cases {
        let text = format!("{ok}\n{line}\n");
        assert_field_error(&first_error("bad.jsonl", text), file_and_line, field);
    }
    let text = format!("{ok}\n{ok}\n{{\"timestamp\": 3000, \"input_length\": 1\n");
    let message = first_error("bad.jsonl", text);
    assert!(
        message.starts_with("bad.jsonl:3: not a JSON object"),
        "{message}"
    );
}

#[test]
fn bad_files_are_named() {
    let message = first_error("odd.csv", "time,prompt,output\n1,2,3\n");
    assert!(
        message.starts_with("odd.csv: unknown trace format"),
        "{message}"
    );
    for accepted in [
        "TIMESTAMP,ContextTokens,GeneratedTokens",
        "Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type",
        "arrived_at,num_prefill_tokens,num_decode_tokens",
        "\"input_length\"",
    ] {
        assert!(message.contains(accepted), "{message} lacks {accepted}");
    }
    for text in ["", "\n\n  \n"] {
        let message = first_error("empty.csv", text);
        assert!(
            message.starts_with("empty.csv: the trace is empty"),
            "{message}"
        );
    }
    let missing = fixture("no_such_trace.csv");
    let Err(error) = TraceReader::open(&missing) else {
        panic!("opened a missing file");
    };
    assert!(error.to_string().contains("no_such_trace.csv"), "{error}");
}

#[test]
fn skipping_bad_rows_counts_them() {
    let text = "TIMESTAMP,ContextTokens,GeneratedTokens\n\
                2023-11-16 18:15:46.0,374,44\n\
                2023-11-16 18:15:47.0,0,44\n\
                2023-11-16 18:15:48.0,375,45\n\
                2023-11-16 18:15:45.0,376,46\n\
                2023-11-16 18:15:49.0,377\n\
                2023-11-16 18:15:50.0,378,NaN\n\
                2023-11-16 18:15:51.0,379,47\n";
    let mut reader = from_text("skip.csv", text).unwrap().skip_bad_rows(true);
    let requests: Vec<Request> = reader.by_ref().collect::<Result<_>>().unwrap();
    assert_eq!(reader.skipped_rows(), 4);
    assert_eq!(reader.dropped_rows(), 0);
    let kept: Vec<(u64, f64, u32)> = requests
        .iter()
        .map(|r| (r.id, r.arrival_s, r.prompt_tokens))
        .collect();
    assert_eq!(kept, [(0, 0.0, 374), (1, 2.0, 375), (2, 5.0, 379)]);
    // Without skipping, the same rows are errors, and reading goes on after them.
    let results: Vec<Result<Request>> = from_text("skip.csv", text).unwrap().collect();
    assert_eq!(results.len(), 7);
    assert_eq!(results.iter().filter(|r| r.is_err()).count(), 4);
}

// --- Epochs -----------------------------------------------------------------------------------

/// Arrivals 0.0, 0.4, 1.2, 3.5, 3.9, 4.0 s with prompts 10, 11, …
const SMALL: &str = "arrived_at,num_prefill_tokens,num_decode_tokens\n\
                     0.0,10,1\n0.4,11,1\n1.2,12,1\n3.5,13,1\n3.9,14,1\n4.0,15,1\n";

fn epochs_of(text: &str, rule: &str) -> Vec<Epoch> {
    let reader = from_text("small.csv", text).unwrap();
    Epochs::new(reader, rule.parse().unwrap())
        .unwrap()
        .collect::<Result<_>>()
        .unwrap()
}

fn summary(epochs: &[Epoch]) -> Vec<(u64, f64, f64, Vec<u64>)> {
    epochs
        .iter()
        .map(|e| {
            (
                e.index,
                e.start_s,
                e.end_s,
                e.requests.iter().map(|r| r.id).collect(),
            )
        })
        .collect()
}

#[test]
fn window_epochs_skip_empty_windows() {
    assert_eq!(
        summary(&epochs_of(SMALL, "1s")),
        [
            (0, 0.0, 1.0, vec![0, 1]),
            (1, 1.0, 2.0, vec![2]),
            (3, 3.0, 4.0, vec![3, 4]),
            (4, 4.0, 5.0, vec![5]),
        ]
    );
    assert_eq!(
        summary(&epochs_of(SMALL, "500ms")),
        [
            (0, 0.0, 0.5, vec![0, 1]),
            (2, 1.0, 1.5, vec![2]),
            (7, 3.5, 4.0, vec![3, 4]),
            (8, 4.0, 4.5, vec![5]),
        ]
    );
}

#[test]
fn count_epochs_group_consecutive_requests() {
    assert_eq!(
        summary(&epochs_of(SMALL, "4")),
        [(0, 0.0, 3.5, vec![0, 1, 2, 3]), (1, 3.9, 4.0, vec![4, 5])]
    );
    assert_eq!(summary(&epochs_of(SMALL, "6")).len(), 1);
    assert_eq!(summary(&epochs_of(SMALL, "1")).len(), 6);
}

#[test]
fn epoch_rules_parse_from_text() {
    assert_eq!(
        "1s".parse::<EpochRule>().unwrap(),
        EpochRule::Window { seconds: 1.0 }
    );
    assert_eq!(
        "500ms".parse::<EpochRule>().unwrap(),
        EpochRule::Window { seconds: 0.5 }
    );
    assert_eq!(
        "2.5s".parse::<EpochRule>().unwrap(),
        EpochRule::Window { seconds: 2.5 }
    );
    assert_eq!(
        "64".parse::<EpochRule>().unwrap(),
        EpochRule::Count { requests: 64 }
    );
    let error = "1 minute".parse::<EpochRule>().unwrap_err().to_string();
    assert!(
        error.contains("`1 minute`") && error.contains("500ms"),
        "{error}"
    );
    assert!("0".parse::<EpochRule>().is_err());
    assert!("-2s".parse::<EpochRule>().is_err());
    let empty = std::iter::empty::<Result<Request>>();
    assert!(Epochs::new(empty, EpochRule::Window { seconds: 0.0 }).is_err());
}

#[test]
fn epochs_pass_errors_through_and_keep_their_requests() {
    let text =
        "arrived_at,num_prefill_tokens,num_decode_tokens\n0.0,10,1\n0.4,0,1\n0.6,12,1\n1.2,13,1\n";
    let reader = from_text("small.csv", text).unwrap();
    let items: Vec<Result<Epoch>> = Epochs::new(reader, EpochRule::Window { seconds: 1.0 })
        .unwrap()
        .collect();
    assert_eq!(items.len(), 3);
    let Err(error) = &items[0] else {
        panic!("the bad row was not passed through");
    };
    assert_field_error(&error.to_string(), "small.csv:3", "num_prefill_tokens");
    let sizes: Vec<usize> = items[1..]
        .iter()
        .map(|e| e.as_ref().map_or(0, |e| e.requests.len()))
        .collect();
    assert_eq!(sizes, [2, 1]);
    // Requests out of arrival order are refused.
    let request = |id, arrival_s| {
        Ok(Request {
            id,
            arrival_s,
            prompt_tokens: 1,
            output_tokens: 1,
            prefix_blocks: Vec::new(),
        })
    };
    let shuffled = vec![request(0, 1.5), request(1, 0.5)];
    let mut epochs = Epochs::new(shuffled.into_iter(), EpochRule::Window { seconds: 1.0 }).unwrap();
    let error = epochs
        .next()
        .map(|e| e.unwrap_err().to_string())
        .unwrap_or_default();
    assert!(error.contains("request order"), "{error}");
}

#[test]
fn one_second_epochs_cover_the_azure_conversation_trace() {
    let reader = TraceReader::open(dataset("azure_llm_2023_conv.csv")).unwrap();
    let mut requests = 0;
    let mut epochs = 0;
    let mut last_index = None;
    for epoch in Epochs::new(reader, "1s".parse().unwrap()).unwrap() {
        let epoch = epoch.unwrap();
        assert!(last_index < Some(epoch.index));
        assert!(
            epoch
                .requests
                .iter()
                .all(|r| epoch.start_s <= r.arrival_s && r.arrival_s < epoch.end_s)
        );
        last_index = Some(epoch.index);
        requests += epoch.requests.len();
        epochs += 1;
    }
    assert_eq!(requests, 19_366);
    assert_eq!(last_index, Some(3_501));
    // 3,464 of the 3,502 one-second windows hold a request (Python, from the raw timestamps).
    assert_eq!(epochs, 3_464);
}
