//! Runs of another script inside Indic, Myanmar or Thai text, isolated so each is shaped as
//! itself.

use std::borrow::Cow;

use super::scripts::{reshapes, right_to_left};

/// Puts each run of letters of another script inside text of a left-to-right script whose
/// shaping reorders or joins (Indic, Myanmar, Thai...) between LEFT-TO-RIGHT ISOLATE and POP
/// DIRECTIONAL ISOLATE, which draw nothing. usvg shapes each bidi run as one script, guessed from
/// its first letter: "The Octocat-ന്റെ GitHub സ്ഥിതിവിവരങ്ങൾ" was shaped as Latin, its Malayalam
/// without conjuncts or the vowel signs moved before their consonants. An isolate is a bidi run of
/// its own, so each script is shaped as itself. Only text between tags is changed.
pub(super) fn isolate_runs(svg: &str) -> Cow<'_, str> {
    let shaped = |c: char| reshapes(c) && !right_to_left(c);
    if !svg.chars().any(shaped) {
        return Cow::Borrowed(svg);
    }
    let other = |c: char| c.is_alphabetic() && !shaped(c) && !right_to_left(c);
    let mut out = String::with_capacity(svg.len() + 64);
    let isolate = |text: &str, out: &mut String| {
        if !text.chars().any(shaped) || !text.chars().any(other) {
            out.push_str(text);
            return;
        }
        // From the first letter of another script to the last before the next shaped letter.
        let (mut done, mut run) = (0, None);
        let close = |run: Option<(usize, usize)>, done: &mut usize, out: &mut String| {
            if let Some((start, end)) = run {
                out.push_str(&text[*done..start]);
                out.push('\u{2066}');
                out.push_str(&text[start..end]);
                out.push('\u{2069}');
                *done = end;
            }
        };
        for (i, c) in text.char_indices() {
            if other(c) {
                let end = i + c.len_utf8();
                run = Some(run.map_or((i, end), |(start, _)| (start, end)));
            } else if shaped(c) {
                close(run.take(), &mut done, out);
            }
        }
        close(run, &mut done, out);
        out.push_str(&text[done..]);
    };
    for (i, piece) in svg.split('<').enumerate() {
        match piece.find('>') {
            Some(end) if i > 0 => {
                out.push('<');
                out.push_str(&piece[..=end]);
                isolate(&piece[end + 1..], &mut out);
            }
            _ => {
                if i > 0 {
                    out.push('<');
                }
                out.push_str(piece);
            }
        }
    }
    Cow::Owned(out)
}
