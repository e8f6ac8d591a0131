import ENASCore
