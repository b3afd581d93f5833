-- Each service owns its own database and never reads another's tables.
CREATE DATABASE submit;
CREATE DATABASE accounting;
CREATE DATABASE identity;
