//! Downloads a bundle with `fetch` (in a page or a worker), reporting
//! progress as the bytes arrive, so a 34 MB model never looks frozen.

use js_sys::{Function, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{ReadableStreamDefaultReader, Response};

fn fail(url: &str, e: JsValue) -> JsError {
    let detail = super::js_message(&e, "network error");
    JsError::new(&format!("could not download {url}: {detail}"))
}

/// The bytes at `url`; `on_progress(loaded, total)` after every chunk
/// (`total` is 0 when the server does not say). An HTTP error status is an
/// error naming it.
pub async fn download(url: &str, on_progress: Option<Function>) -> Result<Vec<u8>, JsError> {
    let global = js_sys::global();
    let fetch: Function = Reflect::get(&global, &JsValue::from_str("fetch"))
        .ok()
        .and_then(|f| f.dyn_into().ok())
        .ok_or_else(|| JsError::new("fetch is not available here"))?;
    let promise: js_sys::Promise = fetch
        .call1(&global, &JsValue::from_str(url))
        .map_err(|e| fail(url, e))?
        .dyn_into()
        .map_err(|e| fail(url, e))?;
    let response: Response = JsFuture::from(promise)
        .await
        .map_err(|e| fail(url, e))?
        .dyn_into()
        .map_err(|e| fail(url, e))?;
    if !response.ok() {
        return Err(JsError::new(&format!(
            "could not download {url}: HTTP {}",
            response.status()
        )));
    }
    let total = response
        .headers()
        .get("Content-Length")
        .ok()
        .flatten()
        .and_then(|v| v.trim().parse::<f64>().ok())
        .unwrap_or(0.0);
    let report = |loaded: usize| {
        if let Some(f) = &on_progress {
            let _ = f.call2(
                &JsValue::NULL,
                &JsValue::from_f64(loaded as f64),
                &JsValue::from_f64(total),
            );
        }
    };
    let Some(body) = response.body() else {
        let buf = JsFuture::from(response.array_buffer().map_err(|e| fail(url, e))?)
            .await
            .map_err(|e| fail(url, e))?;
        let bytes = Uint8Array::new(&buf).to_vec();
        report(bytes.len());
        return Ok(bytes);
    };
    let reader: ReadableStreamDefaultReader = body
        .get_reader()
        .dyn_into()
        .map_err(|e| fail(url, e.into()))?;
    let mut bytes = Vec::with_capacity(if total > 0.0 { total as usize } else { 0 });
    loop {
        let chunk = JsFuture::from(reader.read())
            .await
            .map_err(|e| fail(url, e))?;
        let done = Reflect::get(&chunk, &JsValue::from_str("done"))
            .map(|d| d.is_truthy())
            .unwrap_or(true);
        if done {
            break;
        }
        let value = Reflect::get(&chunk, &JsValue::from_str("value")).map_err(|e| fail(url, e))?;
        let part: Uint8Array = value.dyn_into().map_err(|e| fail(url, e))?;
        let at = bytes.len();
        bytes.resize(at + part.length() as usize, 0);
        part.copy_to(&mut bytes[at..]);
        report(bytes.len());
    }
    Ok(bytes)
}
