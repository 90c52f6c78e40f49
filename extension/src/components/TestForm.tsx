import { Clipboard } from "@jupyterlab/apputils";
import React, { useEffect, useState } from "react";
import type { SignatureMap } from "../server-api";
import { curlLine, exampleRequest, methodOf } from "../test-request";
import type { IServableModel } from "../tokens";

type Answer = { ok: boolean; text: string } | null;

/**
 * Sends a test request to one version: the signatures come from the metadata endpoint,
 * the body is pre-filled from the chosen signature's inputs and can be edited; the answer
 * and the equivalent curl line are shown.
 */
export function TestForm(props: { model: IServableModel; name: string; version: string }) {
  const { model, name, version } = props;
  const [signatures, setSignatures] = useState<SignatureMap | null>(null);
  const [loadError, setLoadError] = useState("");
  const [signatureName, setSignatureName] = useState("");
  const [body, setBody] = useState("");
  const [sending, setSending] = useState(false);
  const [answer, setAnswer] = useState<Answer>(null);

  useEffect(() => {
    let live = true;
    model.signatures(name, version).then(
      (map) => {
        if (!live) return;
        setSignatures(map);
        const first = "serving_default" in map ? "serving_default" : (Object.keys(map)[0] ?? "");
        setSignatureName(first);
        if (first) setBody(exampleRequest(first, map[first]));
      },
      (error: unknown) =>
        live && setLoadError(error instanceof Error ? error.message : String(error)),
    );
    return () => {
      live = false;
    };
  }, [model, name, version]);

  if (loadError) return <div className="jp-Servable-error">{loadError}</div>;
  if (!signatures) return <div className="jp-Servable-muted">Reading the signatures…</div>;
  const signature = signatures[signatureName];
  if (!signature) return <div className="jp-Servable-muted">This version has no signature.</div>;
  const method = methodOf(signature);
  const curl = curlLine(model.settings.serverUrl, name, version, method, body);

  const send = async () => {
    setSending(true);
    try {
      setAnswer({ ok: true, text: prettyJson(await model.infer(name, version, method, body)) });
    } catch (error) {
      setAnswer({ ok: false, text: error instanceof Error ? error.message : String(error) });
    } finally {
      setSending(false);
    }
  };

  return (
    <form
      className="jp-Servable-test"
      aria-label={`Test ${name} version ${version}`}
      onSubmit={(event) => {
        event.preventDefault();
        void send();
      }}
    >
      <label className="jp-Servable-field">
        <span>Signature</span>
        <select
          className="jp-mod-styled"
          value={signatureName}
          onChange={(event) => {
            setSignatureName(event.target.value);
            setBody(exampleRequest(event.target.value, signatures[event.target.value]));
            setAnswer(null);
          }}
        >
          {Object.entries(signatures).map(([key, s]) => (
            <option key={key} value={key}>
              {key} ({methodOf(s)})
            </option>
          ))}
        </select>
      </label>
      <label className="jp-Servable-field">
        <span>Request</span>
        <textarea
          className="jp-mod-styled jp-Servable-request"
          value={body}
          spellCheck={false}
          rows={Math.min(12, body.split("\n").length + 1)}
          onChange={(event) => setBody(event.target.value)}
        />
      </label>
      <div className="jp-Servable-actions">
        <button type="submit" className="jp-mod-styled jp-mod-accept" disabled={sending}>
          {sending ? "Sending…" : "Send"}
        </button>
      </div>
      {answer && (
        <pre
          className={`jp-Servable-answer ${answer.ok ? "" : "jp-mod-error"}`}
          aria-label="Answer"
        >
          {answer.text}
        </pre>
      )}
      <div className="jp-Servable-curl">
        <code aria-label="curl">{curl}</code>
        <button
          type="button"
          className="jp-mod-styled jp-Servable-copy"
          title="Copy the curl line"
          onClick={() => Clipboard.copyToSystem(curl)}
        >
          Copy
        </button>
      </div>
    </form>
  );
}

function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text));
  } catch {
    return text;
  }
}
