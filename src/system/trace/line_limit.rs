//! Lines of at most [`MAX_TRACE_LINE_BYTES`] bytes: a longer line (a file without line breaks
//! such as `/dev/zero`, a corrupt dump) is an error naming its line, found before the line is
//! held in memory.

use super::limits::MAX_TRACE_LINE_BYTES;
use super::{Place, io_error};
use crate::system::error::{Error, Result};
use std::fmt;
use std::io::{self, BufRead, Read};

/// What a line longer than the limit is said to be.
fn too_long_message() -> String {
    format!("the line is longer than {MAX_TRACE_LINE_BYTES} bytes, the most a trace line may hold")
}

/// Reads the line at `place` into `buffer` (its line break kept), reading at most one byte past
/// [`MAX_TRACE_LINE_BYTES`]; `false` at the end of the file.
pub(super) fn read_line<R: BufRead + ?Sized>(
    reader: &mut R,
    buffer: &mut Vec<u8>,
    place: Place,
) -> Result<bool> {
    buffer.clear();
    let most = MAX_TRACE_LINE_BYTES as u64 + 1;
    let read = (&mut *reader)
        .take(most)
        .read_until(b'\n', buffer)
        .map_err(|source| io_error(place.file, source))?;
    if read as u64 == most && buffer.last() != Some(&b'\n') {
        return Err(place.whole_line(too_long_message()));
    }
    Ok(read > 0)
}

/// The line, beyond the limit, at which a [`LineLimit`] stopped.
#[derive(Debug)]
struct LineTooLong {
    line: u64,
}

impl fmt::Display for LineTooLong {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, too_long_message())
    }
}

impl std::error::Error for LineTooLong {}

/// The error at the line a [`LineLimit`] stopped at, if `source` is its error.
pub(super) fn too_long(file: &str, source: &io::Error) -> Option<Error> {
    let stop = source.get_ref()?.downcast_ref::<LineTooLong>()?;
    Some(Error::Line {
        file: file.to_string(),
        line: stop.line,
        message: too_long_message(),
    })
}

/// A reader that passes lines through whole and fails, with [`LineTooLong`], at the first line
/// longer than [`MAX_TRACE_LINE_BYTES`] (the bytes before it are passed through first).
pub(super) struct LineLimit {
    inner: Box<dyn BufRead + Send>,
    count: Count,
}

/// Where a [`LineLimit`] is in its stream.
struct Count {
    /// The 1-based line of the next byte.
    line: u64,
    /// Bytes of that line so far.
    run: usize,
    /// The line that broke the limit, once one has.
    stopped: Option<u64>,
}

impl Count {
    /// How many of `bytes` may pass before a line breaks the limit (all of them if none does).
    fn passable(&mut self, bytes: &[u8]) -> usize {
        for (i, &byte) in bytes.iter().enumerate() {
            if byte == b'\n' {
                self.line += 1;
                self.run = 0;
            } else if self.run == MAX_TRACE_LINE_BYTES {
                self.stopped = Some(self.line);
                return i;
            } else {
                self.run += 1;
            }
        }
        bytes.len()
    }
}

impl LineLimit {
    /// Limits `inner`, whose first byte starts line `line`.
    pub(super) fn new(inner: Box<dyn BufRead + Send>, line: u64) -> LineLimit {
        LineLimit {
            inner,
            count: Count {
                line,
                run: 0,
                stopped: None,
            },
        }
    }
}

impl Read for LineLimit {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let stop = |line| io::Error::new(io::ErrorKind::InvalidData, LineTooLong { line });
        if let Some(line) = self.count.stopped {
            return Err(stop(line));
        }
        let available = self.inner.fill_buf()?;
        let offered = &available[..available.len().min(out.len())];
        let passed = self.count.passable(offered);
        out[..passed].copy_from_slice(&offered[..passed]);
        self.inner.consume(passed);
        match (passed, self.count.stopped) {
            (0, Some(line)) => Err(stop(line)),
            _ => Ok(passed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn limited(text: Vec<u8>) -> LineLimit {
        LineLimit::new(Box::new(Cursor::new(text)), 2)
    }

    #[test]
    fn lines_within_the_limit_pass_whole() {
        let mut text = b"a,b\n".to_vec();
        text.extend(vec![b'x'; MAX_TRACE_LINE_BYTES]);
        text.push(b'\n');
        let mut out = Vec::new();
        limited(text.clone()).read_to_end(&mut out).unwrap();
        assert_eq!(out, text);
    }

    #[test]
    fn a_longer_line_stops_the_reader_at_its_line() {
        let mut text = b"a,b\nc,d\n".to_vec();
        text.extend(vec![b'x'; MAX_TRACE_LINE_BYTES + 1]);
        let mut reader = limited(text);
        let mut out = Vec::new();
        let error = reader.read_to_end(&mut out).unwrap_err();
        assert_eq!(&out[..8], b"a,b\nc,d\n");
        assert_eq!(out.len(), 8 + MAX_TRACE_LINE_BYTES);
        let message = too_long("t.csv", &error).map(|e| e.to_string());
        assert_eq!(
            message.as_deref(),
            Some("t.csv:4: the line is longer than 1048576 bytes, the most a trace line may hold")
        );
    }

    #[test]
    fn read_line_stops_one_byte_past_the_limit() {
        let place = Place {
            file: "t.jsonl",
            line: 3,
        };
        let mut buffer = Vec::new();
        let mut exact = Cursor::new([vec![b'{'; MAX_TRACE_LINE_BYTES], b"\n{}".to_vec()].concat());
        assert!(read_line(&mut exact, &mut buffer, place).unwrap());
        assert_eq!(buffer.len(), MAX_TRACE_LINE_BYTES + 1);
        assert!(read_line(&mut exact, &mut buffer, place).unwrap());
        assert_eq!(buffer, b"{}");
        assert!(!read_line(&mut exact, &mut buffer, place).unwrap());
        let mut zeros = io::repeat(0).take(u64::MAX);
        let error = read_line(&mut io::BufReader::new(&mut zeros), &mut buffer, place)
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("t.jsonl:3: the line is longer than"),
            "{error}"
        );
    }
}
