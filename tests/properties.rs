//! Properties that must hold for any peer (issue 14): the reply reader never holds more than
//! its limit, whatever the server sends and however the network splits it, and escaping never
//! lets a control or invisible character through. Driven through `starttls_check::fuzzing`,
//! the entry the fuzz targets use.

use proptest::prelude::*;
use starttls_check::fuzzing::{self, MAX_LINE, MAX_LINES, READER_CAPACITY};

/// Pieces a hostile or broken server sends: reply prefixes, line ends of every kind, runs of
/// one byte with no line end, and arbitrary bytes.
fn piece() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b"250-".to_vec()),
        Just(b"250 ".to_vec()),
        Just(b"220".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\r".to_vec()),
        Just(b"250-STARTTLS\r\n".to_vec()),
        (any::<u8>(), 0..3 * MAX_LINE).prop_map(|(b, n)| vec![b; n]),
        prop::collection::vec(any::<u8>(), 0..64),
    ]
}

/// A whole stream: arbitrary bytes, an endless line, endless continuation lines, or a mix.
fn stream() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..2048),
        (MAX_LINE - 8..8 * MAX_LINE, any::<bool>()).prop_map(|(n, code)| {
            let mut s = if code { b"220 ".to_vec() } else { Vec::new() };
            s.extend(std::iter::repeat_n(b'a', n));
            s
        }),
        (MAX_LINES - 2..4 * MAX_LINES, any::<bool>()).prop_map(|(n, bare)| (if bare {
            "250-x\n"
        } else {
            "250-x\r\n"
        })
        .repeat(n)
        .into_bytes()),
        prop::collection::vec(piece(), 0..24).prop_map(|p| p.concat()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn the_reply_reader_never_holds_more_than_its_limit(data in stream(), chunk in 0usize..600) {
        let run = fuzzing::read_replies(&data, chunk);
        prop_assert!(run.replies.iter().all(|&n| (1..=MAX_LINES).contains(&n)), "{:?}", run.replies);
        prop_assert!(run.longest_line <= MAX_LINE, "a line of {} bytes", run.longest_line);
        prop_assert!(run.longest_entry <= MAX_LINE, "held {} bytes", run.longest_entry);
        // What the reader took past the last complete reply: the line it gave up on (at most
        // MAX_LINE) and the rest of one buffer fill.
        let beyond = run.taken - run.end_of_last_reply.min(run.taken);
        prop_assert!(
            beyond <= MAX_LINE + READER_CAPACITY,
            "took {} bytes past the last reply ({})", beyond, run.error
        );
    }

    #[test]
    fn escaping_never_lets_a_control_or_invisible_character_through(
        data in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..256),
            any::<String>().prop_map(String::into_bytes),
        ]
    ) {
        fuzzing::escape(&data);
    }
}

/// The cases that matter most, exactly: an endless line and endless continuation lines are cut
/// at the limit however much the server sends, and the reader stops taking bytes there.
#[test]
fn endless_lines_and_endless_replies_are_cut_at_the_limit() {
    for chunk in [0, 1, 7, 4096] {
        let endless_line = [b"220 ".as_slice(), &vec![b'a'; 1 << 20]].concat();
        let run = fuzzing::read_replies(&endless_line, chunk);
        assert_eq!(run.error, "LineTooLong");
        assert!(
            run.taken <= MAX_LINE + READER_CAPACITY,
            "took {}",
            run.taken
        );

        let endless_reply = "250-x\r\n".repeat(100_000).into_bytes();
        let run = fuzzing::read_replies(&endless_reply, chunk);
        assert_eq!(run.error, "TooManyLines");
        assert!(run.replies.is_empty());
        assert!(
            run.taken <= MAX_LINES * 7 + READER_CAPACITY,
            "took {}",
            run.taken
        );

        let no_line_end = vec![b'2'; 1 << 20];
        let run = fuzzing::read_replies(&no_line_end, chunk);
        assert_eq!(run.error, "LineTooLong");
        assert!(run.longest_entry <= MAX_LINE);
    }
}
