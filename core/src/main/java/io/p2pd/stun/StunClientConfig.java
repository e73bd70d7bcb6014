package io.p2pd.stun;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * How the client asks.
 *
 * @param initialRto       the first retransmission timeout over UDP; each one doubles it (RFC 8489 section 6.2.1)
 * @param maxTransmissions at most this many UDP transmissions of one request (RFC 8489's Rc, 7)
 * @param timeLimit        the overall time limit of one request, UDP or TCP (connect included)
 * @param software         a SOFTWARE attribute for every request
 * @param fingerprint      add FINGERPRINT to requests
 * @param rfc3489          send RFC 3489 requests (no magic cookie) for old servers
 * @param credentials      short-term credentials: requests are signed, and a success response counts only when
 *                         signed with the same key (over UDP an unsigned one is dropped as if it never came)
 */
public record StunClientConfig(Duration initialRto, int maxTransmissions, Duration timeLimit,
                               Optional<String> software, boolean fingerprint, boolean rfc3489,
                               Optional<StunCredentials> credentials) {

    public StunClientConfig {
        Objects.requireNonNull(initialRto, "initialRto");
        Objects.requireNonNull(timeLimit, "timeLimit");
        Objects.requireNonNull(software, "software");
        Objects.requireNonNull(credentials, "credentials");
        if (rfc3489 && credentials.isPresent()) {
            throw new IllegalArgumentException("RFC 3489 requests cannot carry credentials here: no magic cookie");
        }
        if (initialRto.isNegative() || initialRto.isZero()) {
            throw new IllegalArgumentException("initialRto must be positive: " + initialRto);
        }
        if (timeLimit.isNegative() || timeLimit.isZero()) {
            throw new IllegalArgumentException("timeLimit must be positive: " + timeLimit);
        }
        if (maxTransmissions < 1) {
            throw new IllegalArgumentException("maxTransmissions must be at least 1: " + maxTransmissions);
        }
    }

    /** 250 ms initial RTO, 7 transmissions, 5 s time limit, no SOFTWARE, no FINGERPRINT, RFC 8489 requests. */
    public static StunClientConfig defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        Builder b = new Builder().initialRto(initialRto).maxTransmissions(maxTransmissions).timeLimit(timeLimit)
                .fingerprint(fingerprint).rfc3489(rfc3489);
        software.ifPresent(b::software);
        credentials.ifPresent(b::credentials);
        return b;
    }

    public static final class Builder {
        private Duration initialRto = Duration.ofMillis(250);
        private int maxTransmissions = 7;
        private Duration timeLimit = Duration.ofSeconds(5);
        private String software;
        private boolean fingerprint;
        private boolean rfc3489;
        private StunCredentials credentials;

        private Builder() {
        }

        public Builder initialRto(Duration d) {
            this.initialRto = d;
            return this;
        }

        public Builder maxTransmissions(int n) {
            this.maxTransmissions = n;
            return this;
        }

        public Builder timeLimit(Duration d) {
            this.timeLimit = d;
            return this;
        }

        public Builder software(String s) {
            this.software = s;
            return this;
        }

        public Builder fingerprint(boolean on) {
            this.fingerprint = on;
            return this;
        }

        public Builder rfc3489(boolean on) {
            this.rfc3489 = on;
            return this;
        }

        public Builder credentials(StunCredentials c) {
            this.credentials = Objects.requireNonNull(c, "credentials");
            return this;
        }

        public StunClientConfig build() {
            return new StunClientConfig(initialRto, maxTransmissions, timeLimit, Optional.ofNullable(software),
                    fingerprint, rfc3489, Optional.ofNullable(credentials));
        }
    }
}
