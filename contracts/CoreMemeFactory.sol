// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {CoreMemePair} from "./CoreMemePair.sol";

/// @title CoreMemeFactory
/// @notice A Uniswap V2 factory: one pair per token couple, the same `PairCreated` event.
contract CoreMemeFactory {
    mapping(address => mapping(address => address)) public getPair;
    address[] public allPairs;

    event PairCreated(address indexed token0, address indexed token1, address pair, uint256);

    function allPairsLength() external view returns (uint256) {
        return allPairs.length;
    }

    function createPair(address tokenA, address tokenB) external returns (address pair) {
        require(tokenA != tokenB, "CoreMeme: IDENTICAL_ADDRESSES");
        (address token0, address token1) = tokenA < tokenB ? (tokenA, tokenB) : (tokenB, tokenA);
        require(token0 != address(0), "CoreMeme: ZERO_ADDRESS");
        require(getPair[token0][token1] == address(0), "CoreMeme: PAIR_EXISTS");
        pair = address(new CoreMemePair{salt: keccak256(abi.encodePacked(token0, token1))}());
        CoreMemePair(pair).initialize(token0, token1);
        getPair[token0][token1] = pair;
        getPair[token1][token0] = pair;
        allPairs.push(pair);
        emit PairCreated(token0, token1, pair, allPairs.length);
    }
}
