package io.p2pd.bench; final class Placeholder {}
