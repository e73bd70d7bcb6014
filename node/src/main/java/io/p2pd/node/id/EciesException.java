package io.p2pd.node.id;

import java.security.GeneralSecurityException;

/**
 * An ECIES message could not be opened: too short, a bad ephemeral key, a tag that does not match, or bad padding.
 * The message was not encrypted to this key, or was altered on the way; the cause is deliberately not detailed.
 */
public final class EciesException extends GeneralSecurityException {

    private static final long serialVersionUID = 1L;

    EciesException(String message) {
        super(message);
    }
}
