package io.p2pd.cli; final class Placeholder {}
