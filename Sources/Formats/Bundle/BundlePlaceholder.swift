import Crypto
enum BundlePlaceholder {}
