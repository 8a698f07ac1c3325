//! Downloads with `fetch` (in a page or a worker), reporting progress as the
//! bytes arrive, and resuming an interrupted transfer where it stopped (an
//! HTTP range request) instead of starting a 25 MB part again.

use js_sys::{Function, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{ReadableStreamDefaultReader, Response};

/// Times an interrupted transfer is resumed before giving up.
const MAX_RESUMES: u32 = 4;

/// Why one request did not finish the download.
enum Failure {
    /// The server answered with an error: retrying will not help.
    Refused(JsError),
    /// The connection failed or dropped mid-transfer: resume.
    Interrupted(JsError),
}

fn fail(url: &str, e: JsValue) -> JsError {
    let detail = super::js_message(&e, "network error");
    JsError::new(&format!("could not download {url}: {detail}"))
}

/// Waits `ms` milliseconds (page or worker).
async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let global = js_sys::global();
        if let Some(f) = Reflect::get(&global, &JsValue::from_str("setTimeout"))
            .ok()
            .and_then(|f| f.dyn_into::<Function>().ok())
        {
            let _ = f.call2(&global, &resolve, &JsValue::from(ms));
        } else {
            let _ = resolve.call0(&JsValue::NULL);
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// The bytes at `url`; `on_progress(loaded, total)` after every chunk
/// (`total` is 0 when the server does not say). An HTTP error status is an
/// error naming it; a dropped connection is resumed from the last byte
/// received (up to four times, waiting a little longer each time).
pub async fn download(url: &str, on_progress: Option<Function>) -> Result<Vec<u8>, JsError> {
    let mut bytes = Vec::new();
    let mut total = 0.0;
    let mut resumes = 0;
    loop {
        let mut encoded = false;
        match fetch_into(
            url,
            &mut bytes,
            &mut total,
            &mut encoded,
            on_progress.as_ref(),
        )
        .await
        {
            Ok(()) => return Ok(bytes),
            Err(Failure::Refused(e)) => return Err(e),
            Err(Failure::Interrupted(e)) => {
                resumes += 1;
                if resumes > MAX_RESUMES {
                    return Err(e);
                }
                // Ranges count encoded bytes: a compressed transfer restarts.
                if encoded {
                    bytes.clear();
                }
                sleep(500 * resumes as i32).await;
            }
        }
    }
}

/// One request: the whole file when `bytes` is empty, else the rest of it
/// (`Range: bytes=N-`); a server that ignores the range sends the whole
/// file again, which replaces what was kept.
async fn fetch_into(
    url: &str,
    bytes: &mut Vec<u8>,
    total: &mut f64,
    encoded: &mut bool,
    on_progress: Option<&Function>,
) -> Result<(), Failure> {
    let interrupted = |e: JsValue| Failure::Interrupted(fail(url, e));
    let global = js_sys::global();
    let fetch: Function = Reflect::get(&global, &JsValue::from_str("fetch"))
        .ok()
        .and_then(|f| f.dyn_into().ok())
        .ok_or_else(|| Failure::Refused(JsError::new("fetch is not available here")))?;
    let init = Object::new();
    if !bytes.is_empty() {
        let headers = Object::new();
        let range = format!("bytes={}-", bytes.len());
        let _ = Reflect::set(&headers, &"Range".into(), &range.into());
        let _ = Reflect::set(&init, &"headers".into(), &headers);
    }
    let promise: js_sys::Promise = fetch
        .call2(&global, &JsValue::from_str(url), &init)
        .map_err(interrupted)?
        .dyn_into()
        .map_err(interrupted)?;
    let response: Response = JsFuture::from(promise)
        .await
        .map_err(interrupted)?
        .dyn_into()
        .map_err(interrupted)?;
    let header = |name: &str| response.headers().get(name).ok().flatten();
    // Content-Length then counts compressed bytes, the body gives plain ones.
    *encoded =
        header("Content-Encoding").is_some_and(|v| !v.trim().eq_ignore_ascii_case("identity"));
    match response.status() {
        200 => {
            bytes.clear();
            *total = header("Content-Length")
                .filter(|_| !*encoded)
                .and_then(|v| v.trim().parse::<f64>().ok())
                .unwrap_or(0.0);
        }
        206 if !bytes.is_empty() => {
            // "bytes START-END/TOTAL": the rest must start where we stopped.
            let range = header("Content-Range").unwrap_or_default();
            let start = range
                .trim()
                .strip_prefix("bytes ")
                .and_then(|r| r.split('-').next())
                .and_then(|s| s.trim().parse::<usize>().ok());
            if start != Some(bytes.len()) {
                bytes.clear();
                return Err(Failure::Interrupted(JsError::new(&format!(
                    "could not download {url}: the server resumed at {range:?}"
                ))));
            }
            if let Some(t) = range.rsplit('/').next().and_then(|t| t.parse::<f64>().ok()) {
                *total = t;
            }
        }
        status => {
            return Err(Failure::Refused(JsError::new(&format!(
                "could not download {url}: HTTP {status}"
            ))))
        }
    }
    let report = |loaded: usize| {
        if let Some(f) = on_progress {
            let _ = f.call2(
                &JsValue::NULL,
                &JsValue::from_f64(loaded as f64),
                &JsValue::from_f64(*total),
            );
        }
    };
    let Some(body) = response.body() else {
        let buf = JsFuture::from(response.array_buffer().map_err(interrupted)?)
            .await
            .map_err(interrupted)?;
        let part = Uint8Array::new(&buf);
        let at = bytes.len();
        bytes.resize(at + part.length() as usize, 0);
        part.copy_to(&mut bytes[at..]);
        report(bytes.len());
        return Ok(());
    };
    let reader: ReadableStreamDefaultReader = body
        .get_reader()
        .dyn_into()
        .map_err(|e| interrupted(e.into()))?;
    if *total > 0.0 {
        bytes.reserve((*total as usize).saturating_sub(bytes.len()));
    }
    loop {
        let chunk = JsFuture::from(reader.read()).await.map_err(interrupted)?;
        let done = Reflect::get(&chunk, &JsValue::from_str("done"))
            .map(|d| d.is_truthy())
            .unwrap_or(true);
        if done {
            break;
        }
        let value = Reflect::get(&chunk, &JsValue::from_str("value")).map_err(interrupted)?;
        let part: Uint8Array = value.dyn_into().map_err(interrupted)?;
        let at = bytes.len();
        bytes.resize(at + part.length() as usize, 0);
        part.copy_to(&mut bytes[at..]);
        report(bytes.len());
    }
    // A stream that ends early without an error (a proxy closing cleanly).
    if *total > 0.0 && (bytes.len() as f64) < *total {
        return Err(Failure::Interrupted(JsError::new(&format!(
            "could not download {url}: the connection closed at {} of {} bytes",
            bytes.len(),
            *total
        ))));
    }
    Ok(())
}

/// Downloads `url` (resuming if interrupted) with `onProgress(loaded,
/// total)` as bytes arrive: the parts of a staged bundle and the manifest.
#[cfg(not(feature = "phrasing-wasm"))]
#[wasm_bindgen(js_name = fetchBytes)]
pub async fn fetch_bytes(
    url: String,
    on_progress: Option<Function>,
) -> Result<Uint8Array, JsError> {
    let bytes = download(&url, on_progress).await?;
    Ok(Uint8Array::from(&bytes[..]))
}
