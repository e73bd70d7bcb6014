/** Code the library's packages share and users do not see: this package is not exported. */
package io.p2pd.internal;
