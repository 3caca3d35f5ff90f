// The Content-Security-Policy nonce of the current request, for the <script> tags Remix renders in
// root.tsx. Set by entry.server.tsx; in the browser it is empty (browsers hide nonces from the DOM).
import { createContext, useContext } from "react";

export const NonceContext = createContext<string>("");
export const NonceProvider = NonceContext.Provider;
export const useNonce = () => useContext(NonceContext);
