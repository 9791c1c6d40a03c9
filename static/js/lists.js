// lists
