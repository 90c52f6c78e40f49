/**
 * Texts of TF Serving's errors that more than one part writes or recognises, word for word
 * as TF Serving writes them (see the reference's error table), so every API says the same.
 */

/** An unknown signature on the REST API and in the servables behind every API. */
export const signatureNotFound = (signatureName: string): string =>
  `Serving signature name: "${signatureName}" not found in signature def`;
